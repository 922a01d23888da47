/* help: the ? overlay listing every key. Any key closes it. The list is the one place
 * the keys are written down for users, so it follows app.c's dispatch exactly. */
#include "ui/app.h"

#include <string.h>

static const char *const help_lines[] = {
	"Keys",
	"Down j / Up k    next / previous event (in detail or bytes: move there)",
	"Space            play / pause;   + / -  faster / slower",
	"g / G            first / last event (the last shows the outcome)",
	"n / N            next handshake message / next SMTP command",
	"/ text Enter     search the summaries; / Enter again: next match",
	"Tab              cycle panes: sequence, detail, bytes",
	"Enter            detail pane: fold or unfold the selected field",
	"mouse click      select the event under the pointer",
	"l                open another scenario          ?  this help     q  quit",
	"",
	"What if (the session runs again with one option changed)",
	"v                client verifies certificates, or not",
	"t                client TLS policy: none, opportunistic, required, implicit",
	"a                attacker: none, relay, strip, reject, substitute cert, ...",
	"b                client and server keep or discard bytes buffered before TLS",
	"r                reset to the scenario file's options",
	"",
	"Colours: yellow cleartext (anyone on the path reads it), green encrypted,",
	"red attack or alert, cyan an actor's decision, blue a TLS record.",
	"press any key to close",
};

void ui_help_draw(const struct app *a)
{
	int n = (int)(sizeof help_lines / sizeof help_lines[0]);
	int w = 0;
	for (int i = 0; i < n; i++) {
		int l = (int)strlen(help_lines[i]);
		if (l > w)
			w = l;
	}
	w += 4;
	int h = n + 2;
	if (w > COLS)
		w = COLS;
	if (h > LINES)
		h = LINES;
	struct rect r = { (LINES - h) / 2, (COLS - w) / 2, h, w };
	for (int y = 0; y < h; y++)
		mvhline(r.y + y, r.x, ' ', w);
	ui_box(&r, "help", 1, a);
	for (int i = 0; i < n && i < h - 2; i++)
		ui_text(r.y + 1 + i, r.x + 2, w - 4, help_lines[i],
			i == 0 || !strncmp(help_lines[i], "What if", 7) ? A_BOLD : i == n - 1 ? A_DIM : A_NORMAL);
}
