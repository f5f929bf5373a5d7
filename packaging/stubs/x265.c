/* Stands in for libx265 (the HEVC encoder) in the Linux bundle.
 *
 * PyAV's FFmpeg links libx265 (about 20 MB), but Parley never encodes HEVC:
 * aiortc sends VP8 or H.264 only. FFmpeg's libx265 wrapper asks for the encoder
 * through x265_api_get_<build>() and treats NULL as "no encoder for this bit
 * depth", so opening "libx265" fails with an error instead of crashing.
 * packaging/parley.spec builds this with -DX265_API_GET=<the real name> and
 * checks that it defines every symbol the bundle imports from libx265.
 */
#include <stddef.h>

#ifndef X265_API_GET
#error "build with -DX265_API_GET=x265_api_get_<build number>"
#endif

const void *X265_API_GET(int bit_depth)
{
    (void)bit_depth;
    return NULL;
}
