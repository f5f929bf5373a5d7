/* Stands in for libSvtAv1Enc (the SVT-AV1 encoder) in the Linux bundle.
 *
 * PyAV's FFmpeg links SVT-AV1 (about 7 MB), but Parley never encodes AV1:
 * aiortc sends VP8 or H.264 only. FFmpeg's libsvtav1 wrapper calls
 * svt_av1_enc_init_handle() first and gives up on any error, so every call
 * here reports EB_ErrorUndefined and opening "libsvtav1" fails cleanly.
 * packaging/parley.spec checks that these are all the symbols the bundle
 * imports from the real library.
 */
#define EB_ERROR_UNDEFINED ((int)0x80001001)

int svt_av1_enc_init_handle(void **handle, void *app_data, void *config)
{
    (void)app_data;
    (void)config;
    if (handle)
        *handle = 0;
    return EB_ERROR_UNDEFINED;
}

int svt_av1_enc_set_parameter(void *h, void *c) { (void)h; (void)c; return EB_ERROR_UNDEFINED; }
int svt_av1_enc_parse_parameter(void *c, const char *n, const char *v)
{
    (void)c; (void)n; (void)v;
    return EB_ERROR_UNDEFINED;
}
int svt_av1_enc_init(void *h) { (void)h; return EB_ERROR_UNDEFINED; }
int svt_av1_enc_deinit(void *h) { (void)h; return EB_ERROR_UNDEFINED; }
int svt_av1_enc_deinit_handle(void *h) { (void)h; return EB_ERROR_UNDEFINED; }
int svt_av1_enc_stream_header(void *h, void **o) { (void)h; (void)o; return EB_ERROR_UNDEFINED; }
int svt_av1_enc_stream_header_release(void *b) { (void)b; return EB_ERROR_UNDEFINED; }
int svt_av1_enc_send_picture(void *h, void *p) { (void)h; (void)p; return EB_ERROR_UNDEFINED; }
int svt_av1_enc_get_packet(void *h, void **p, unsigned char done)
{
    (void)h; (void)p; (void)done;
    return EB_ERROR_UNDEFINED;
}
void svt_av1_enc_release_out_buffer(void **p) { (void)p; }
int svt_av1_enc_get_stream_info(void *h, unsigned int id, void *info)
{
    (void)h; (void)id; (void)info;
    return EB_ERROR_UNDEFINED;
}
int svt_add_metadata(void *b, unsigned int type, const unsigned char *d, unsigned long n)
{
    (void)b; (void)type; (void)d; (void)n;
    return -1;
}
void svt_metadata_array_free(void *m) { (void)m; }
