/* attack_list: every attack, once, in the order `list -v`, the interface's `a` key and
 * error messages show them. Each ATTACK(name) is `const struct attack attack_name` in
 * sim/attack/name.c (see attack.h). Included by attacks.c only. */
ATTACK(relay)
ATTACK(strip_starttls)
ATTACK(strip_starttls_upstream)
ATTACK(reject_starttls)
ATTACK(refuse_starttls_502)
ATTACK(answer_starttls_354)
ATTACK(refuse_ehlo)
ATTACK(substitute_certificate)
ATTACK(replay_certificate)
ATTACK(inspection_ca)
ATTACK(inject_commands)
ATTACK(steal_credentials)
ATTACK(inject_responses)
ATTACK(tamper_record)
ATTACK(tamper_clienthello)
ATTACK(record)
