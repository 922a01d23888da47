/* relay: the attacker in the path only reads. It passes every byte on unchanged and
 * learns whatever crosses in cleartext — the baseline every other attack builds on. */
#include "sim/attack/attack.h"

const struct attack attack_relay = {
	.name = "relay",
	.does = "sits in the path and relays every byte unchanged, reading what is cleartext",
	.intro = "The attacker sits between client and server and relays every byte, reading what it can",
};
