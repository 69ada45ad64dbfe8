"""What the OMERO.java importer (`omero import`, ome/omero-blitz) prints for one import, as the
stand-in's unpack needs it. Every shape here is the real one; the sources are cited per function
(paths in ome/omero-blitz, src/main/java/ome/formats/importer/). Only the words the importer
composes itself are reproduced; server-side messages and Java stack frames are illustrative.
"""

import sys
import time

_STARTED = time.time()


def log_line(level, logger, message):
    """A logback line as the importer's logback-cli.xml prints them on stderr (date, ms since
    start, thread, level, logger cut to its last 40 characters), e.g.
    `2023-08-07 21:00:15,597 52852      [l.Client-1] INFO   ormats.importer.cli.LoggingImportMonitor - IMPORT_DONE ...`
    """
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + ",%03d" % int((now % 1) * 1000)
    return "%s %-10d [%10.10s] %-5s %40.40s - %s" % (stamp, int((now - _STARTED) * 1000), "l.Client-1", level, logger[-40:], message)


def _err(text):
    sys.stderr.write(text)
    sys.stderr.flush()


def _out(text):
    sys.stdout.write(text)
    sys.stdout.flush()


def summary(uploaded, filesets, plates, images, errors, seconds):
    """cli/LoggingImportMonitor.ImportSummary.report: once per `omero import`, on stderr."""
    def count(n, name):
        return "%d %s%s" % (n, name, "" if n == 1 else "s")
    created = count(filesets, "fileset") + (", " + count(plates, "plate") if plates else "")
    _err("\n==> Summary\n%s uploaded, %s created, %s imported, %s in 0:00:%06.3f\n"
         % (count(uploaded, "file"), created, count(images, "image"), count(errors, "error"), seconds))


def imported(path, fileset, image_ids, plate_ids, uploaded, seconds):
    """A successful import in the default output style (cli/LoggingImportMonitor
    outputImageOrPlateIds + otherImportedObjects): the plate ids if the import made a plate,
    else the image ids, on stdout; the fileset and the other objects on stderr, one a line."""
    _err(log_line("INFO", "ome.formats.importer.cli.LoggingImportMonitor", "IMPORT_DONE Imported file: %s" % path) + "\n")
    if plate_ids:
        _out("Plate:%s\n" % ",".join(plate_ids))
        others = ["Image:%s" % i for i in image_ids]  # "only pixel ids hit stdout": the images go here
    else:
        _out("Image:%s\n" % ",".join(image_ids))
        others = []
    _err("Other imported objects:\nFileset:%s\n" % fileset + "".join(o + "\n" for o in others))
    summary(uploaded, 1, len(plate_ids), len(image_ids), 0, seconds)


def _usage():
    """cli/CommandLineImporter.usage (abridged: the real text goes on for 40 lines)."""
    _err("\n Usage:  importer-cli [OPTION]... [path [path ...]]... \n"
         "   or:   importer-cli [OPTION]... - \n\n"
         "Import any number of files into an OMERO instance.\n")


def unreadable(path):
    """A path that does not exist or cannot be read (an NFSRODS mount refusing it looks the same:
    File.canRead() is false): ImportCandidates.singleFile raises UNREADABLE_FILE, which the
    ErrorHandler logs without counting an error, so CommandLineImporter.start finds no candidate
    and prints "No imports found" and the usage (exit 1, which unpack ignores). No Summary."""
    _err(log_line("ERROR", "ome.formats.importer.util.ErrorHandler", "UNREADABLE_FILE: %s" % path) + "\n")
    _err("java.io.FileNotFoundException: %s\n\tat ome.formats.importer.ImportCandidates.singleFile(ImportCandidates.java:411)\n" % path)
    _err("No imports found\n")
    _usage()


def no_reader(path):
    """A file no reader could open: FILE_EXCEPTION while scanning counts an error, so
    CommandLineImporter.start prints "No imports due to errors!" (no LoggingImportMonitor is
    attached on that branch, so no Summary)."""
    _err(log_line("ERROR", "ome.formats.importer.util.ErrorHandler", "FILE_EXCEPTION: %s" % path) + "\n")
    _err("loci.formats.FormatException: %s: unsupported or corrupt file\n\tat loci.formats.ImageReader.setId(ImageReader.java:860)\n" % path)
    _err("No imports due to errors!\n")


def _failed_upload(path, exception_text, seconds):
    """ImportLibrary.uploadFile: FILE_EXCEPTION (counted), then "Error on import"; the Summary
    counts the error and nothing imported."""
    _err(log_line("ERROR", "ome.formats.importer.util.ErrorHandler", "FILE_EXCEPTION: %s" % path) + "\n")
    _err(exception_text)
    _err(log_line("ERROR", "ome.formats.importer.ImportLibrary", "Error on import") + "\n")
    _err(exception_text)
    summary(0, 0, 0, 0, 1, seconds)


_LINE = "\n---------------------------------------------------\n"


def managed_repository_refused(path, location, seconds):
    """In-place (ln_s) import on a host that does not see OMERO's ManagedRepository where the
    server keeps it: transfers/AbstractExecFileTransfer.checkLocation -> failLocationCheck."""
    text = ("java.lang.RuntimeException: " + _LINE + "Check failed: %s does not exist!\n"
            "You likely do not have access to the ManagedRepository for in-place import.\n"
            "Aborting..." % location + _LINE + "\n\tat ome.formats.importer.transfers.AbstractExecFileTransfer"
            ".failLocationCheck(AbstractExecFileTransfer.java:147)\n")
    _failed_upload(path, text, seconds)


def server_cannot_read(path, location, seconds):
    """In-place import whose link the server cannot read (its mount refuses the file):
    transfers/AbstractExecFileTransfer.checkTarget."""
    text = ("java.lang.RuntimeException: omero.ResourceError : %s (Permission denied)\n"
            "The server could not check the size of the file:\n"
            "-----------------------------------------------\n%s\n"
            "-----------------------------------------------\n"
            "Most likely the server process has no read access\n"
            "and therefore in-place import cannot proceed. You\n"
            "should delete this file manually if you are sure\n"
            "that the original is safe.\n"
            "\tat ome.formats.importer.transfers.AbstractExecFileTransfer.checkTarget(AbstractExecFileTransfer.java:238)\n"
            % (location, location))
    _failed_upload(path, text, seconds)


def server_import_failed(path, uploaded, seconds):
    """The server failed the import after the upload: ImportLibrary.ImportCallback.onFinished
    gets an ERR and raises INTERNAL_EXCEPTION ("Failure response on import!")."""
    _err(log_line("ERROR", "ome.formats.importer.util.ErrorHandler", "INTERNAL_EXCEPTION: %s" % path) + "\n")
    _err("java.lang.RuntimeException: Failure response on import!\nCategory: ::omero::grid::ImportRequest\n"
         "Name: import-request-failure\nParameters: {message=stand-in: import failed on the server}\n"
         "\tat ome.formats.importer.ImportLibrary$ImportCallback.onFinished(ImportLibrary.java:808)\n")
    summary(uploaded, 0, 0, 0, 1, seconds)
