# irods_omero_agent.re - iRODS Rule Language (native rule engine) policy for irods-omero-agent.
#
# PREFER THE PYTHON RULES (rules/python/) where the Python rule engine plugin can be enabled; this
# file is for zones that cannot enable it. See rules/README.md, "The native rule".
#
# What it does: when an archive (.zip .tar .tar.gz .tgz) lands in a watched collection, it MARKS
# the data object with one AVU, in the same call, as the user whose operation landed it:
#
#     irods_omero_agent::landed = <unix seconds>   units: <user>#<zone>
#
# The agent polls the catalog for these marks (AGENT_MARK_POLL_SECONDS, default 15), treats each
# as the event of that upload, checks the user against the object's owner and ACLs, and removes
# the mark. Nothing here talks to the network, schedules a delayed rule or holds a secret, so a
# slow or dead agent costs the zone nothing: marks wait in the catalog until the agent reads them.
# (Earlier versions POSTed with msiCurlPost from the delay server; msiCurlPost has no timeout and
# reports an HTTP 500 as success, so a hung agent could pin delay-server executors indefinitely.)
#
#   - Every PEP swallows every error (errorcode): the user's operation never fails because of this
#     file; a mark that could not be written is logged, and the agent's periodic sweep finds the
#     archive anyway.
#   - Coalescing: a process (agent) writes the mark of a path at most once per ioa_mark_seconds,
#     so an HTTP API upload, which closes the replica once per chunk, does not write it per chunk.
#
# Install: copy to /etc/irods/irods_omero_agent.re (owner irods), add "irods_omero_agent" BEFORE
# "core" in the native rule engine's re_rulebase_set in /etc/irods/server_config.json, and edit the
# settings below. If core.re already defines one of the PEPs at the end of this file, the native
# engine runs only ONE definition of a rule name: delete ours and call the matching ioa_* rule from
# yours (see rules/README.md). A parse or type error disables the whole native rule base: check the
# server log after installing ("irods_omero_agent" or "parseRuleSet"/"type error").

# ---- settings ---------------------------------------------------------------------------------
# Logical collections whose archives are marked (no trailing slash).
ioa_watch = list("/tempZone/home")
# Users whose uploads are never marked (the agent's own service account).
ioa_ignore_users = list("omero_agent")
# .zip .tar .tar.gz .tgz, any case.
ioa_archive_regex = "^.*\\.([zZ][iI][pP]|[tT][aA][rR]|[tT][aA][rR]\\.[gG][zZ]|[tT][gG][zZ])$"
# Seconds during which this process does not write the mark of the same path again.
ioa_mark_seconds = 10
# The AVU the agent polls for: it looks for exactly this attribute, keep it.
ioa_mark_attribute = "irods_omero_agent::landed"

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

# ---- the mark ---------------------------------------------------------------------------------
# Sets the mark as the connection's client user (the uploader; for the HTTP API, the user it
# switched to), who owns the object or was allowed to write it.
ioa_mark(*comm, *path, *pep) {
    *user = *comm.user_user_name;
    *zone = *comm.user_rods_zone;
    ioa_is_ignored(*user, *ignored);
    if (*ignored) {
        writeLine("serverLog", "irods_omero_agent: not marking *path, landed by *user (ioa_ignore_users)");
    } else {
        msiGetSystemTime(*now, "");
        *marked_key = "ioa_marked_*path";
        ioa_storage_get(*marked_key, *marked_at);
        if (*marked_at != "" && int(*now) - int(*marked_at) < ioa_mark_seconds) {
            writeLine("serverLog", "irods_omero_agent: *path already marked at *marked_at by this process (*pep)");
        } else {
            *ec = errorcode(msiModAVUMetadata("-d", *path, "set", ioa_mark_attribute, *now, "*user#*zone"));
            if (*ec < 0) {
                writeLine("serverLog", "irods_omero_agent: could not mark *path (*pep, user *user#*zone, error *ec); the agent's sweep will find it");
            } else {
                temporaryStorage."*marked_key" = *now;
                writeLine("serverLog", "irods_omero_agent: marked *path (*pep, user *user#*zone)");
            }
        }
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
            ioa_mark(*comm, *path, *pep);
        }
    }
}

ioa_on_path(*comm, *path, *pep) {
    ioa_is_candidate(*path, *ok);
    if (*ok) {
        ioa_mark(*comm, *path, *pep);
    }
}

ioa_on_replica_close(*comm, *json_input) {
    *json = *json_input.buf;
    *fd = hd(split(triml(*json, "\"fd\":"), ",} "));
    # A secondary stream of a parallel write closes with update_status false: not an arrival.
    *final = !(*json like "*\"update_status\":false*");
    ioa_closed(*comm, *fd, "pep_api_replica_close_post", *final);
}

# ---- the PEPs: each swallows every error (errorcode) so the user's operation never fails -------
pep_api_data_obj_put_post(*INSTANCE, *COMM, *DATA_OBJ_INP, *BUFFER, *PORTAL_OPR_OUT) {
    *ec = errorcode(ioa_on_path(*COMM, *DATA_OBJ_INP.obj_path, "pep_api_data_obj_put_post"));
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
    *ec = errorcode(ioa_on_path(*COMM, *DATA_OBJ_INP.obj_path, "pep_api_phy_path_reg_post"));
}
pep_api_data_obj_rename_post(*INSTANCE, *COMM, *DATA_OBJ_COPY_INP) {
    *ec = errorcode(ioa_on_path(*COMM, *DATA_OBJ_COPY_INP.dst_obj_path, "pep_api_data_obj_rename_post"));
}
pep_api_data_obj_copy_post(*INSTANCE, *COMM, *DATA_OBJ_COPY_INP, *TRANSFER_STAT) {
    *ec = errorcode(ioa_on_path(*COMM, *DATA_OBJ_COPY_INP.dst_obj_path, "pep_api_data_obj_copy_post"));
}
