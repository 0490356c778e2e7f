/* session_internal.h — what other modules of the library may ask a session. */
#ifndef BENCHY_CORE_SESSION_INTERNAL_H
#define BENCHY_CORE_SESSION_INTERNAL_H

#include "benchy/benchy.h"
#include "../util.h"

/* Any request still attached to the session, or NULL: lets a runner cancel
 * what is left in flight without tracking requests twice. */
BENCHY_INTERNAL benchy_request *session_first_request(benchy_session *s);

#endif
