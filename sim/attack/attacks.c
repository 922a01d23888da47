/* attacks: the table of attacks (attack_list.h) and lookups by name and position. */
#include "sim/attack/attack.h"

#include <string.h>

#define ATTACK(n) extern const struct attack attack_##n;
#include "sim/attack/attack_list.h"
#undef ATTACK

static const struct attack *const table[] = {
#define ATTACK(n) &attack_##n,
#include "sim/attack/attack_list.h"
#undef ATTACK
};

size_t attack_count(void)
{
	return sizeof table / sizeof table[0];
}

const struct attack *attack_at(size_t i)
{
	return i < attack_count() ? table[i] : NULL;
}

const struct attack *attack_find(const char *name)
{
	for (size_t i = 0; i < attack_count(); i++)
		if (!strcmp(table[i]->name, name))
			return table[i];
	return NULL;
}

size_t attack_index(const struct attack *a)
{
	size_t i = 0;
	while (i < attack_count() && table[i] != a)
		i++;
	return i;
}
