/* export_file: writing an export whole or not at all. The bytes go to a temporary file
 * beside the target (same directory, so the final rename cannot cross file systems);
 * commit renames it over the target, abort removes it. A reader never sees half a file,
 * and a failed export leaves nothing behind. */
#include "sim/export/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void clear(struct export_file *ef)
{
	free(ef->path);
	free(ef->tmp);
	ef->f = NULL;
	ef->path = NULL;
	ef->tmp = NULL;
}

int export_file_open(struct export_file *ef, const char *path, char *err, size_t errcap)
{
	memset(ef, 0, sizeof *ef);
	size_t n = strlen(path);
	ef->path = strdup(path);
	ef->tmp = malloc(n + sizeof ".tmp.XXXXXX");
	if (!ef->path || !ef->tmp) {
		snprintf(err, errcap, "%s: cannot write: out of memory", path);
		clear(ef);
		return -1;
	}
	memcpy(ef->tmp, path, n);
	memcpy(ef->tmp + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
	int fd = mkstemp(ef->tmp);
	if (fd < 0) {
		snprintf(err, errcap, "%s: cannot write: %s", path, strerror(errno));
		clear(ef);
		return -1;
	}
	/* mkstemp makes the file 0600; an export is an ordinary file the user shares. */
	mode_t um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	ef->f = fdopen(fd, "wb");
	if (!ef->f) {
		int e = errno;
		close(fd);
		unlink(ef->tmp);
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
	if (!e && rename(ef->tmp, ef->path))
		e = errno;
	if (e) {
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
	if (ef->tmp)
		unlink(ef->tmp);
	clear(ef);
}
