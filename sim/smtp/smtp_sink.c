/* smtp_sink: the one helper both SMTP machines use to explain their decisions. */
#include "sim/smtp/smtp_sink.h"

#include <stdarg.h>
#include <stdio.h>

void smtp_sink_note(const struct smtp_sink *sink, enum smtp_note kind, const char *fmt, ...)
{
	if (!sink->note)
		return;
	char buf[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sink->note(sink->ctx, kind, buf);
}
