# irods_omero_agent.re - iRODS Rule Language (native rule engine) policy for irods-omero-agent.
#
# PREFER THE PYTHON RULES (rules/python/). This file exists for zones that cannot enable the
# Python rule engine plugin. Its limits, all from the microservices available to the native
# language (see rules/README.md, "The native rule"):
#   - No HMAC: the language has no HMAC or SHA-256 microservice, so the event cannot carry a
#     Standard Webhooks signature. It authenticates with a shared token in one header,
#     X-Agent-Token, to the agent's native endpoint (POST /v1/events/native), which the agent
#     offers only when AGENT_NATIVE_RULE_TOKENS is set. Use it over loopback or a private
#     network only: the token travels in clear text unless agent_url is https.
#   - msiCurlPost (irods_microservice_plugins_curl) sends ONE header line, has NO timeout (a hung
#     agent holds a delay-server worker until the TCP stack gives up) and reports only curl's
#     error code: an HTTP 500 is "success" to it. The agent's answer body is therefore inspected
#     ("accepted":true / "retryable":true).
#   - Coalescing is per agent process only (temporaryStorage): a chunked HTTP API upload served
#     by several pooled connections can yield one event per connection; the agent de-duplicates.
#   - Paths containing '"', '\' or control characters are skipped (no JSON escaping available):
#     the agent's periodic sweep finds those archives.
#   - The timestamp uses the server's local time formatted as UTC: run iRODS with TZ=UTC.
#
# Install: copy to /etc/irods/irods_omero_agent.re (mode 0600, owner irods: it holds the
# token), add "irods_omero_agent" BEFORE "core" in the native rule engine's re_rulebase_set in
# /etc/irods/server_config.json, and edit the settings below. If core.re already defines one of
# the PEPs at the end of this file, the native engine runs only ONE definition of a rule name:
# delete ours and call the matching ioa_* rule from yours (see rules/README.md).

# ---- settings ---------------------------------------------------------------------------------
ioa_agent_url = "http://127.0.0.1:8080/v1/events/native"
ioa_token = "CHANGE-ME-to-one-of-AGENT_NATIVE_RULE_TOKENS"
# Logical collections whose archives are reported (no trailing slash).
ioa_watch = list("/tempZone/home")
# Users whose uploads are never reported (the agent's own service account).
ioa_ignore_users = list("omero_agent")
# .zip .tar .tar.gz .tgz, any case.
ioa_archive_regex = "^.*\\.([zZ][iI][pP]|[tT][aA][rR]|[tT][aA][rR]\\.[gG][zZ]|[tT][gG][zZ])$"
# Seconds a queued POST covers repeated events for the same path in this process.
ioa_window_seconds = 10

# ---- filters ----------------------------------------------------------------------------------
ioa_is_candidate(*path, *ok) {
    *ok = false;
    if (*path like regex ioa_archive_regex && !(*path like regex "^/[^/]+/trash/.*")) {
        foreach (*prefix in ioa_watch) {
            # A plain prefix comparison: no wildcard in a collection name can widen it.
            *n = strlen(*prefix) + 1;
            if (strlen(*path) > *n && substr(*path, 0, *n) == *prefix ++ "/") {
                *ok = true;
            }
        }
    }
    if (*ok && (*path like "*\"*" || *path like "*\\*" || *path like regex ".*[[:cntrl:]].*")) {
        writeLine("serverLog", "irods_omero_agent: skipping a path JSON cannot carry without escaping");
        *ok = false;
    }
}

ioa_is_ignored(*user, *ignored) {
    *ignored = false;
    foreach (*u in ioa_ignore_users) {
        if (*u == *user) {
            *ignored = true;
        }
    }
}

# temporaryStorage is per agent process; reading a key never set is an error, hence errorcode.
ioa_storage_get(*key, *value) {
    *value = "";
    if (errorcode(temporaryStorage."*key") == 0) {
        *value = temporaryStorage."*key";
    }
}

# ---- the event --------------------------------------------------------------------------------
# Builds the body and queues the POST in the delay server. *extra is "" or ',"key":value...'.
ioa_emit(*comm, *pep, *path, *extra) {
    *user = *comm.user_user_name;
    *user_zone = *comm.user_rods_zone;
    *proxy = *comm.proxy_user_name;
    ioa_is_ignored(*user, *ignored);
    msiGetSystemTime(*now, "");
    *pending_key = "ioa_pending_*path";
    ioa_storage_get(*pending_key, *pending_until);
    if (*pending_until == "") {
        *pending_until = "0";
    }
    if (*ignored) {
        writeLine("serverLog", "irods_omero_agent: ignoring *path by *user (ioa_ignore_users)");
    } else if (int(*pending_until) > int(*now)) {
        writeLine("serverLog", "irods_omero_agent: event for *path already queued (*pep)");
    } else {
        ioa_storage_get("ioa_counter", *counter);
        if (*counter == "") {
            *counter = "0";
        }
        *counter = str(int(*counter) + 1);
        temporaryStorage."ioa_counter" = *counter;
        *pid = "0";
        *ec = errorcode(msi_get_agent_pid(*pid));
        # Stable across the delay server's retries: the body is built once, here.
        *id = "nat_*now" ++ "_*pid" ++ "_*counter";
        *zone = elem(split(*path, "/"), 0);
        *timestamp = timestrf(time(), "%Y-%m-%dT%H:%M:%SZ");
        *proxy_field = "";
        if (*proxy != *user) {
            *proxy_field = ",\"proxy_user\":\"*proxy#*user_zone\"";
        }
        *body = "{\"id\":\"*id\",\"type\":\"data_object.landed\",\"timestamp\":\"*timestamp\",\"data\":{\"zone\":\"*zone\",\"logical_path\":\"*path\",\"user\":\"*user\",\"user_zone\":\"*user_zone\",\"client_user\":\"*user#*user_zone\",\"pep\":\"*pep\"*proxy_field*extra}}";
        ioa_queue(*id, *body);
        temporaryStorage."*pending_key" = str(int(*now) + ioa_window_seconds);
        writeLine("serverLog", "irods_omero_agent: queued event *id for *path (*pep, user *user)");
    }
}

# A rule of its own so that the delayed block captures only *id and *body (plain strings).
ioa_queue(*id, *body) {
    delay("<INST_NAME>irods_rule_engine_plugin-irods_rule_language-instance</INST_NAME><PLUSET>10s</PLUSET><EF>30s REPEAT UNTIL SUCCESS OR 20 TIMES</EF>") {
        ioa_deliver(*id, *body);
    }
}

# Runs in the delay server. Failing (fail()) makes the delay server retry per the EF policy.
ioa_deliver(*id, *body) {
    *request."data" = *body;
    *request."headers" = "X-Agent-Token: " ++ ioa_token;
    *response = "";
    *ec = errorcode(msiCurlPost(ioa_agent_url, *request, *response));
    if (*ec < 0) {
        writeLine("serverLog", "irods_omero_agent: event *id not delivered (msiCurlPost error *ec), will retry");
        fail(*ec);
    }
    if (*response like "*\"accepted\":true*") {
        writeLine("serverLog", "irods_omero_agent: event *id delivered");
    } else if (*response like "*\"retryable\":false*") {
        writeLine("serverLog", "irods_omero_agent: event *id refused by the agent (not retried): *response");
    } else {
        # No answer (connection refused, timeout: curl's code is not an error to the rule engine),
        # a 5xx/429/503 with "retryable":true, or anything unexpected: retry.
        writeLine("serverLog", "irods_omero_agent: event *id not accepted, will retry: *response");
        fail(-1101000);
    }
}

# ---- descriptor tracking (close PEPs carry only the L1 descriptor) -----------------------------
ioa_track_open(*data_obj_inp, *always_write) {
    *path = *data_obj_inp.obj_path;
    ioa_is_candidate(*path, *ok);
    if (*ok && (*always_write || int(*data_obj_inp.open_flags) % 4 != 0)) {
        *fd = 0;
        if (errorcode(msi_get_open_data_obj_l1desc_index(*path, *fd)) == 0) {
            temporaryStorage."ioa_fd_*fd" = *path;
        }
    }
}

ioa_closed(*comm, *fd, *pep, *final) {
    ioa_storage_get("ioa_fd_*fd", *path);
    if (*path != "") {
        temporaryStorage."ioa_fd_*fd" = "";
        if (*final) {
            ioa_emit(*comm, *pep, *path, "");
        }
    }
}

ioa_on_put(*comm, *data_obj_inp) {
    *path = *data_obj_inp.obj_path;
    ioa_is_candidate(*path, *ok);
    if (*ok) {
        ioa_emit(*comm, "pep_api_data_obj_put_post", *path, ",\"size\":" ++ *data_obj_inp.data_size);
    }
}

ioa_on_replica_close(*comm, *json_input) {
    *json = *json_input.buf;
    *fd = hd(split(triml(*json, "\"fd\":"), ",} "));
    *final = !(*json like "*\"update_status\":false*");
    ioa_closed(*comm, *fd, "pep_api_replica_close_post", *final);
}

ioa_on_register(*comm, *data_obj_inp) {
    *path = *data_obj_inp.obj_path;
    ioa_is_candidate(*path, *ok);
    if (*ok && errorcode(*data_obj_inp.collection) != 0) {
        ioa_emit(*comm, "pep_api_phy_path_reg_post", *path, "");
    }
}

ioa_on_rename_or_copy(*comm, *copy_inp, *pep) {
    *path = *copy_inp.dst_obj_path;
    ioa_is_candidate(*path, *ok);
    if (*ok) {
        ioa_emit(*comm, *pep, *path, "");
    }
}

# ---- the PEPs: each swallows every error (errorcode) so the user's operation never fails -------
pep_api_data_obj_put_post(*INSTANCE, *COMM, *DATA_OBJ_INP, *BUFFER, *PORTAL_OPR_OUT) {
    *ec = errorcode(ioa_on_put(*COMM, *DATA_OBJ_INP));
}
pep_api_data_obj_create_post(*INSTANCE, *COMM, *DATA_OBJ_INP) {
    *ec = errorcode(ioa_track_open(*DATA_OBJ_INP, true));
}
pep_api_data_obj_open_post(*INSTANCE, *COMM, *DATA_OBJ_INP) {
    *ec = errorcode(ioa_track_open(*DATA_OBJ_INP, false));
}
pep_api_replica_open_post(*INSTANCE, *COMM, *DATA_OBJ_INP, *JSON_OUTPUT) {
    *ec = errorcode(ioa_track_open(*DATA_OBJ_INP, false));
}
pep_api_data_obj_close_post(*INSTANCE, *COMM, *OPENED_DATA_OBJ_INP) {
    *ec = errorcode(ioa_closed(*COMM, *OPENED_DATA_OBJ_INP.l1descInx, "pep_api_data_obj_close_post", true));
}
pep_api_replica_close_post(*INSTANCE, *COMM, *JSON_INPUT) {
    *ec = errorcode(ioa_on_replica_close(*COMM, *JSON_INPUT));
}
pep_api_phy_path_reg_post(*INSTANCE, *COMM, *DATA_OBJ_INP) {
    *ec = errorcode(ioa_on_register(*COMM, *DATA_OBJ_INP));
}
pep_api_data_obj_rename_post(*INSTANCE, *COMM, *DATA_OBJ_COPY_INP) {
    *ec = errorcode(ioa_on_rename_or_copy(*COMM, *DATA_OBJ_COPY_INP, "pep_api_data_obj_rename_post"));
}
pep_api_data_obj_copy_post(*INSTANCE, *COMM, *DATA_OBJ_COPY_INP, *TRANSFER_STAT) {
    *ec = errorcode(ioa_on_rename_or_copy(*COMM, *DATA_OBJ_COPY_INP, "pep_api_data_obj_copy_post"));
}
