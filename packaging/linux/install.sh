#!/bin/sh
# Install Parley for this user, from the unpacked .tar.gz:
#   ./install.sh              the bundle to ~/.local/opt/parley, a `parley` command in
#                             ~/.local/bin, the menu entry, the icon, and parley:// links
#   ./install.sh --uninstall  remove all of that again
# PREFIX (default ~/.local) and XDG_DATA_HOME (default $PREFIX/share) move it elsewhere.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
data=${XDG_DATA_HOME:-$prefix/share}
app_dir=$prefix/opt/parley
bin=$prefix/bin/parley
entries="parley.desktop parley-url-handler.desktop"

refresh() {
    command -v update-desktop-database >/dev/null 2>&1 \
        && update-desktop-database -q "$data/applications" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 \
        && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$app_dir"
    rm -f "$bin" "$data/icons/hicolor/scalable/apps/parley.svg" \
        "$data/icons/hicolor/256x256/apps/parley.png"
    for entry in $entries; do rm -f "$data/applications/$entry"; done
    refresh
    echo "Parley removed."
    exit 0
fi

[ -x "$here/Parley/Parley" ] || { echo "install.sh: run me from the unpacked archive" >&2; exit 1; }
mkdir -p "$prefix/opt" "$prefix/bin" "$data/applications" \
    "$data/icons/hicolor/scalable/apps" "$data/icons/hicolor/256x256/apps"
rm -rf "$app_dir.new"
cp -a "$here/Parley" "$app_dir.new"
rm -rf "$app_dir"
mv "$app_dir.new" "$app_dir"
ln -sf "$app_dir/Parley" "$bin"
cp "$here/icons/parley.svg" "$data/icons/hicolor/scalable/apps/parley.svg"
cp "$here/icons/parley.png" "$data/icons/hicolor/256x256/apps/parley.png"
for entry in $entries; do
    # The entries say "Parley"; point them at the installed executable.
    sed -e "s|^Exec=Parley|Exec=\"$app_dir/Parley\"|" -e "s|^TryExec=Parley|TryExec=$app_dir/Parley|" \
        "$here/$entry" > "$data/applications/$entry"
done
refresh
echo "Parley installed: $app_dir (run \`parley\`, or find Parley in the applications menu)."
