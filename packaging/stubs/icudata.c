/* Stands in for libicudata (ICU's 31 MB of locale data) in the Linux bundle.
 *
 * Qt links ICU and uses its data only for QCollator, legacy (non-Unicode) text
 * codecs and time-zone display names; Parley uses none of them (case mapping
 * and Unicode properties are compiled into libicuuc, not read from here).
 * This is the layout of ICU's own "stubdata" library, which ICU builds when
 * its data is packaged as a separate .dat file: a valid common-data header
 * that lists no items. Lookups that need data then fail with
 * U_FILE_ACCESS_ERROR or U_MISSING_RESOURCE_ERROR, which Qt checks.
 * packaging/parley.spec builds this with -DICUDATA_ENTRY=icudt<version>_dat.
 */
#include <stdint.h>

#ifndef ICUDATA_ENTRY
#error "build with -DICUDATA_ENTRY=icudt<ICU major version>_dat"
#endif

struct udata_info {  /* ICU's UDataInfo (20 bytes) */
    uint16_t size, reserved_word;
    uint8_t is_big_endian, charset_family, sizeof_uchar, reserved_byte;
    uint8_t data_format[4], format_version[4], data_version[4];
};

struct icu_common_data {
    uint16_t header_size;
    uint8_t magic1, magic2;  /* 0xda 0x27: "this is ICU data" */
    struct udata_info info;
    uint8_t padding[8];
    uint32_t count, reserved;  /* the table of contents: no items */
    int32_t empty_toc[4];
};

__attribute__((visibility("default")))
const struct icu_common_data ICUDATA_ENTRY = {
    32, 0xda, 0x27,
    {
        sizeof(struct udata_info), 0,
        __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__, 0 /* ASCII family */, 2 /* sizeof(UChar) */, 0,
        {0x43, 0x6d, 0x6e, 0x44},  /* "CmnD": common data, offset table of contents */
        {1, 0, 0, 0},
        {0, 0, 0, 0},
    },
    {0}, 0, 0, {0},
};
