#include "admin_progress.h"

#include <stdio.h>

#define BAR_WIDTH 30

void
admin_progress_draw(size_t sent, size_t total, void *arg)
{
	admin_progress *p = arg;
	char bar[BAR_WIDTH + 1];
	int pct = total > 0 ? (int)((double)sent * 100.0 / (double)total) : 100;
	int fill = pct * BAR_WIDTH / 100;

	if (pct == p->shown)
		return;
	p->shown = pct;
	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	fprintf(stderr, "\r%s [%s] %3d%% %.1f/%.1f MB", p->label, bar, pct, (double)sent / 1e6,
	    (double)total / 1e6);
	if (sent >= total)
		fputs("\nwaiting for the server's report...\n", stderr);
	fflush(stderr);
}
