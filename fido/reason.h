/* Why FDO input was refused: one message naming the part at fault. */
#ifndef FDO_REASON_H
#define FDO_REASON_H

#define FDO_DETAIL_MAX 256

typedef struct fdo_detail {
	char message[FDO_DETAIL_MAX];
} fdo_detail;

/* Sets d->message (truncated to fit; d may be NULL) and returns err. */
int fdo_refuse(fdo_detail *d, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Puts the formatted context and ": " before d's message and returns err. */
int fdo_refuse_in(fdo_detail *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
