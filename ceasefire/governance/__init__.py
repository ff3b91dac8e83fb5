"""Accounts, guarantors' keys, and joint decisions of the guarantors — every write audited.

Roles: ``admin`` (accounts), ``guarantor`` (one or more accounts per guarantor, ``party`` = USA /
RUS), ``party`` (a party's liaison cell, ``party`` = its actor or group id), ``monitor``,
``public``.  The permission table (:data:`PERMISSIONS`) is the one place that says who may do what.

- :mod:`~ceasefire.governance.accounts` — accounts and their tokens (list, disable, expire, rotate);
- :mod:`~ceasefire.governance.signing` — Ed25519 keys and the canonical statements they sign;
- :mod:`~ceasefire.governance.keys` — each guarantor's key: registered once, changed only by a
  change every current key signs;
- :mod:`~ceasefire.governance.decisions` — decisions that take effect only with a signature by
  each guarantor's key, as the audit chain vouches for them;
- :mod:`~ceasefire.governance.integrity` — the whole check (chain, rows, keys, signatures) and
  signed checkpoints kept outside the system.
"""

from ceasefire.governance.accounts import (
    PERMISSIONS,
    ROLES,
    TOKEN_PREFIX,
    Account,
    add_user,
    allow,
    authenticate,
    disable_user,
    expire_user,
    list_users,
    rotate_token,
)
from ceasefire.governance.decisions import (
    DecisionAlert,
    approve,
    approve_and_alert,
    decision_statement,
    decision_status,
    effective_decisions,
    propose,
)
from ceasefire.governance.integrity import check_checkpoint, make_checkpoint, verify_workspace
from ceasefire.governance.keys import (
    approve_key_change,
    key_change_status,
    key_ledger,
    list_keys,
    propose_key_change,
    register_key,
)

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "TOKEN_PREFIX",
    "Account",
    "DecisionAlert",
    "add_user",
    "allow",
    "approve",
    "approve_and_alert",
    "approve_key_change",
    "authenticate",
    "check_checkpoint",
    "decision_statement",
    "decision_status",
    "disable_user",
    "effective_decisions",
    "expire_user",
    "key_change_status",
    "key_ledger",
    "list_keys",
    "list_users",
    "make_checkpoint",
    "propose",
    "propose_key_change",
    "register_key",
    "rotate_token",
    "verify_workspace",
]
