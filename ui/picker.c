/* picker: the l overlay. Lists the *.ini files of the scenario directory with their
 * titles, shows the lesson of the selected one, and hands the chosen path back to the
 * main loop, which loads it like the first. Files are read when the picker opens, so
 * a scenario written during the lesson shows up. */
#include "ui/app.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static int ini_only(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && !strcmp(d->d_name + n - 4, ".ini") && d->d_name[0] != '.';
}

void ui_picker_close(struct app *a)
{
	for (size_t i = 0; i < a->npk; i++) {
		free(a->pk[i].path);
		free(a->pk[i].name);
		free(a->pk[i].title);
		free(a->pk[i].lesson);
	}
	free(a->pk);
	a->pk = NULL;
	a->npk = a->pk_sel = a->pk_top = 0;
	a->picking = 0;
	a->pk_err[0] = '\0';
}

int ui_picker_open(struct app *a)
{
	ui_picker_close(a);
	const char *dir = a->opt->scenario_dir ? a->opt->scenario_dir : "scenarios";
	struct dirent **names;
	int n = scandir(dir, &names, ini_only, alphasort);
	if (n <= 0) {
		snprintf(a->msg, sizeof a->msg, "no scenario files (*.ini) in %s", dir);
		a->msg_err = 1;
		if (n == 0)
			free(names);
		return -1;
	}
	a->pk = calloc((size_t)n, sizeof *a->pk);
	for (int i = 0; i < n; i++) {
		if (a->pk) {
			struct picker_entry *p = &a->pk[a->npk++];
			char path[4096], err[512];
			snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
			p->path = strdup(path);
			p->name = strdup(names[i]->d_name);
			struct scenario sc;
			if (scenario_load(path, a->opt->load, &sc, err, sizeof err) == 0) {
				p->title = strdup(sc.title ? sc.title : sc.name);
				p->lesson = strdup(sc.lesson ? sc.lesson : "");
				scenario_free(&sc);
			} else {
				p->title = strdup("(does not load)");
				p->lesson = strdup(err);
			}
			if (a->sc.path && p->path && !strcmp(p->path, a->path))
				a->pk_sel = a->npk - 1;
		}
		free(names[i]);
	}
	free(names);
	if (!a->pk)
		return -1;
	a->picking = 1;
	return 0;
}

void ui_picker_draw(struct app *a)
{
	int w = COLS - 8, h = LINES - 4;
	struct rect r = { 2, 4, h, w };
	for (int y = 0; y < h; y++)
		mvhline(r.y + y, r.x, ' ', w);
	ui_box(&r, "open a scenario (Enter opens, Esc or q closes)", 1, a);
	int list_h = (h - 2) / 2;
	if (list_h > (int)a->npk)
		list_h = (int)a->npk;
	if (a->pk_sel < a->pk_top)
		a->pk_top = a->pk_sel;
	if (a->pk_sel >= a->pk_top + (size_t)list_h)
		a->pk_top = a->pk_sel + 1 - (size_t)list_h;
	/* the name column as wide as the longest name, but never more than half the box */
	int namew = 8;
	for (size_t i = 0; i < a->npk; i++) {
		int l = a->pk[i].name ? ui_text_cols(a->pk[i].name) : 1;
		if (l > namew)
			namew = l;
	}
	if (namew > (w - 4) / 2)
		namew = (w - 4) / 2;
	for (int k = 0; k < list_h && a->pk_top + (size_t)k < a->npk; k++) {
		size_t i = a->pk_top + (size_t)k;
		char line[512];
		snprintf(line, sizeof line, "%-*.*s  %s", namew, namew, a->pk[i].name ? a->pk[i].name : "?",
			 a->pk[i].title ? a->pk[i].title : "");
		ui_text(r.y + 1 + k, r.x + 2, w - 4, line, i == a->pk_sel ? A_REVERSE : A_NORMAL);
	}
	int ly = r.y + 2 + list_h;
	ui_fill(ly - 1 + 0, r.x + 1, w - 2, a->g->h, A_DIM);
	struct rect lesson = { ly, r.x + 2, r.y + h - 1 - ly, w - 4 };
	if (a->pk_err[0]) {
		/* the chosen file did not open: the whole reason, where there is room for it */
		char m[600];
		snprintf(m, sizeof m, "cannot open it: %s", a->pk_err);
		ui_wrap_draw(&lesson, m, ui_pair(a, CP_ERROR) | A_BOLD);
	} else if (a->npk && a->pk[a->pk_sel].lesson)
		ui_wrap_draw(&lesson, a->pk[a->pk_sel].lesson, A_NORMAL);
}

/* Moves the selection or closes; Enter is the key table's (it opens the file). */
int ui_picker_key(struct app *a, int ch)
{
	switch (ch) {
	case 'j': case KEY_DOWN:
		if (a->pk_sel + 1 < a->npk)
			a->pk_sel++;
		break;
	case 'k': case KEY_UP:
		if (a->pk_sel)
			a->pk_sel--;
		break;
	case 'g': case KEY_HOME:
		a->pk_sel = 0;
		break;
	case 'G': case KEY_END:
		a->pk_sel = a->npk ? a->npk - 1 : 0;
		break;
	case '\n': case '\r': case KEY_ENTER:
		return a->npk && a->pk[a->pk_sel].path ? 1 : 0;
	case 'q': case 27: case 'l':
		ui_picker_close(a);
		break;
	}
	return 0;
}
