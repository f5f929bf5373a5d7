/* Stands in for libdav1d (an AV1 decoder) in the Linux bundle.
 *
 * PyAV's FFmpeg links dav1d (about 2 MB), but Parley never decodes AV1: aiortc
 * negotiates VP8 and H.264 only. FFmpeg's libdav1d wrapper gives up when
 * dav1d_get_frame_delay() or dav1d_open() fails, so those and every other call
 * that returns a status report -ENOSYS, and opening "libdav1d" fails cleanly.
 */
#include <errno.h>
#include <stddef.h>

const char *dav1d_version(void) { return "unavailable (Parley bundle stub)"; }
void dav1d_default_settings(void *settings) { (void)settings; }
int dav1d_get_frame_delay(const void *settings) { (void)settings; return -ENOSYS; }

int dav1d_open(void **context, const void *settings)
{
    (void)settings;
    if (context)
        *context = NULL;
    return -ENOSYS;
}

int dav1d_parse_sequence_header(void *out, const unsigned char *buf, size_t size)
{
    (void)out; (void)buf; (void)size;
    return -ENOSYS;
}

int dav1d_send_data(void *c, void *data) { (void)c; (void)data; return -ENOSYS; }
int dav1d_get_picture(void *c, void *picture) { (void)c; (void)picture; return -ENOSYS; }
int dav1d_get_event_flags(void *c, void *flags) { (void)c; (void)flags; return -ENOSYS; }
void dav1d_flush(void *c) { (void)c; }
void dav1d_close(void **c) { (void)c; }
void dav1d_picture_unref(void *picture) { (void)picture; }
void dav1d_data_unref(void *data) { (void)data; }

int dav1d_data_wrap(void *data, const unsigned char *buf, size_t size,
                    void (*free_callback)(const unsigned char *, void *), void *cookie)
{
    (void)data; (void)buf; (void)size; (void)free_callback; (void)cookie;
    return -ENOSYS;
}

int dav1d_data_wrap_user_data(void *data, const unsigned char *user_data,
                              void (*free_callback)(const unsigned char *, void *),
                              void *cookie)
{
    (void)data; (void)user_data; (void)free_callback; (void)cookie;
    return -ENOSYS;
}
