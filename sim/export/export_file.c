/* export_file: writing an export whole or not at all. The bytes go to a temporary file
 * beside the target (same directory, so the final rename cannot cross file systems);
 * commit renames it over the target, abort removes it. A reader never sees half a file,
 * and a failed export leaves nothing behind. */
#include "sim/export/export.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary files written and not yet renamed: for a signal handler to remove, and,
 * in a group (export_file_group_begin), the renames done together at the end. A fixed
 * table: the program writes a handful of outputs at a time. */
#define PENDING_MAX 8
static struct {
	char tmp[4096];
	char *path;                    /* the target, once its writing is done (a group) */
	volatile sig_atomic_t used;
} pending[PENDING_MAX];
static int grouping;

static void pending_add(const char *tmp)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (!pending[i].used && strlen(tmp) < sizeof pending[i].tmp) {
			memcpy(pending[i].tmp, tmp, strlen(tmp) + 1);
			pending[i].path = NULL;
			pending[i].used = 1;
			return;
		}
}

static void pending_drop(const char *tmp)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (pending[i].used && !strcmp(pending[i].tmp, tmp)) {
			pending[i].used = 0;
			free(pending[i].path);
			pending[i].path = NULL;
		}
}

static void clear(struct export_file *ef)
{
	free(ef->path);
	free(ef->tmp);
	ef->f = NULL;
	ef->path = NULL;
	ef->tmp = NULL;
	ef->through = 0;
}

int export_file_open(struct export_file *ef, const char *path, char *err, size_t errcap)
{
	return export_file_open_mode(ef, path, 0, err, errcap);
}

int export_file_open_mode(struct export_file *ef, const char *path, int secret, char *err, size_t errcap)
{
	memset(ef, 0, sizeof *ef);
	/* What is there now decides how to write: a device or a FIFO (/dev/stdout,
	 * /dev/null, a pipe) is written through, never replaced; a symbolic link is followed,
	 * and the file it names is replaced, the link kept; a file being replaced keeps its
	 * mode. */
	struct stat st;
	int exists = stat(path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, errcap, "%s: cannot write: is a directory", path);
			return -1;
		}
		ef->path = strdup(path);
		/* Our own standard output or error (-o /dev/stdout) is written on the descriptor
		 * we hold: reopening it through /proc can be refused (a pipe made by another
		 * user), and a reopened terminal or pipe is the same place anyway. */
		int same = -1;
		for (int fd = 1; fd <= 2 && same < 0; fd++) {
			struct stat fs;
			if (!fstat(fd, &fs) && fs.st_dev == st.st_dev && fs.st_ino == st.st_ino)
				same = fd;
		}
		if (same >= 0 && ef->path) {
			fflush(same == 1 ? stdout : stderr);
			int d = dup(same);
			ef->f = d >= 0 ? fdopen(d, "wb") : NULL;
			if (!ef->f && d >= 0)
				close(d);
		} else
			ef->f = ef->path ? fopen(path, "wb") : NULL;
		if (!ef->f) {
			snprintf(err, errcap, "%s: cannot write: %s", path, ef->path ? strerror(errno) : "out of memory");
			clear(ef);
			return -1;
		}
		ef->through = 1;
		return 0;
	}
	char *real = NULL;
	struct stat lst;
	if (exists && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
		real = realpath(path, NULL);
	const char *target = real ? real : path;
	size_t n = strlen(target);
	ef->path = strdup(target);
	ef->tmp = malloc(n + sizeof ".tmp.XXXXXX");
	free(real);
	if (!ef->path || !ef->tmp) {
		snprintf(err, errcap, "%s: cannot write: out of memory", path);
		clear(ef);
		return -1;
	}
	memcpy(ef->tmp, ef->path, n);
	memcpy(ef->tmp + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
	int fd = mkstemp(ef->tmp);
	if (fd < 0) {
		snprintf(err, errcap, "%s: cannot write: %s", path, strerror(errno));
		clear(ef);
		return -1;
	}
	pending_add(ef->tmp);
	/* mkstemp makes the file 0600, which a secret (a key log) keeps; an ordinary export
	 * gets the mode of the file it replaces, or what the umask gives a new file. A mode
	 * is never widened: a file that was 0600 stays 0600. */
	mode_t um = umask(0);
	umask(um);
	mode_t mode = exists ? (st.st_mode & 07777) : (0666 & ~um);
	if (secret)
		mode &= 0600;
	(void)fchmod(fd, mode);
	ef->f = fdopen(fd, "wb");
	if (!ef->f) {
		int e = errno;
		close(fd);
		unlink(ef->tmp);
		pending_drop(ef->tmp);
		snprintf(err, errcap, "%s: cannot write: %s", path, strerror(e));
		clear(ef);
		return -1;
	}
	return 0;
}

int export_file_commit(struct export_file *ef, char *err, size_t errcap)
{
	int e = 0;
	/* f may already be closed by a writer that owns the stream (libpcap's dumper). */
	if (ef->f) {
		errno = 0;
		if (fflush(ef->f) || ferror(ef->f))
			e = errno ? errno : EIO;
		if (fclose(ef->f) && !e)
			e = errno ? errno : EIO;
		ef->f = NULL;
	}
	/* In a group the rename waits for export_file_group_commit: every output or none. */
	if (!e && ef->tmp && grouping) {
		for (int i = 0; i < PENDING_MAX; i++)
			if (pending[i].used && !strcmp(pending[i].tmp, ef->tmp) && !pending[i].path) {
				pending[i].path = ef->path;
				ef->path = NULL;
			}
		if (!ef->path) {
			clear(ef);
			return 0;
		}
	}
	if (!e && ef->tmp && rename(ef->tmp, ef->path))
		e = errno;
	if (ef->tmp)
		pending_drop(ef->tmp);
	if (e) {
		if (ef->tmp)
			unlink(ef->tmp);
		snprintf(err, errcap, "%s: cannot write: %s", ef->path, strerror(e));
		clear(ef);
		return -1;
	}
	clear(ef);
	return 0;
}

void export_file_abort(struct export_file *ef)
{
	if (ef->f)
		fclose(ef->f);
	if (ef->tmp) {
		unlink(ef->tmp);
		pending_drop(ef->tmp);
	}
	clear(ef);
}

void export_file_cleanup_signal(void)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (pending[i].used)
			unlink(pending[i].tmp); /* async-signal-safe */
}

void export_file_group_begin(void)
{
	grouping = 1;
}

int export_file_group_commit(char *err, size_t errcap)
{
	grouping = 0;
	int rc = 0;
	for (int i = 0; i < PENDING_MAX; i++) {
		if (!pending[i].used || !pending[i].path)
			continue;
		if (!rc && rename(pending[i].tmp, pending[i].path)) {
			snprintf(err, errcap, "%s: cannot write: %s", pending[i].path, strerror(errno));
			rc = -1;
		}
		if (rc)
			unlink(pending[i].tmp);
		pending[i].used = 0;
		free(pending[i].path);
		pending[i].path = NULL;
	}
	return rc;
}

void export_file_group_abort(void)
{
	grouping = 0;
	for (int i = 0; i < PENDING_MAX; i++) {
		if (!pending[i].used)
			continue;
		unlink(pending[i].tmp);
		pending[i].used = 0;
		free(pending[i].path);
		pending[i].path = NULL;
	}
}
