; Inno Setup 6 script for Parley's Windows installer.
;
;   python packaging\build.py installer      (builds dist\Parley, then runs ISCC on this)
;
; or by hand:  ISCC /DAppVersion=0.1.0 /DBundleDir=dist\Parley
;                   /DIconFile=build\pyinstaller\icons\parley.ico /Odist packaging\windows\parley.iss
; Installs per user by default (no UAC prompt), per machine if the user picks it.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\Parley"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\pyinstaller\icons\parley.ico"
#endif

[Setup]
AppId={{6C1B6F0E-3D7A-4E4B-9B8E-6A2F5C1D9E47}
AppName=Parley
AppVersion={#AppVersion}
AppVerName=Parley {#AppVersion}
AppPublisher=Parley
DefaultDirName={autopf}\Parley
DefaultGroupName=Parley
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=Parley-{#AppVersion}-windows-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\Parley.exe
UninstallDisplayName=Parley
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: Parley.exe and _internal\.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; A previous version's libraries must not linger beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Parley"; Filename: "{app}\Parley.exe"
Name: "{autodesktop}\Parley"; Filename: "{app}\Parley.exe"; Tasks: desktopicon

[Registry]
; parley://join/<session>?server=... invite links open Parley (its --session takes a link).
Root: HKA; Subkey: "Software\Classes\parley"; ValueType: string; ValueName: ""; ValueData: "URL:Parley invite link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\parley"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\parley\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\Parley.exe"",0"
Root: HKA; Subkey: "Software\Classes\parley\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\Parley.exe"" --session ""%1"""

[Run]
Filename: "{app}\Parley.exe"; Description: "{cm:LaunchProgram,Parley}"; Flags: nowait postinstall skipifsilent
