"""Provincial batch files: reading, file-level checks, row validation, error reports and the jobs that
write them through set-based writers.

`uploads` and `storage` keep the uploaded file encrypted from its first byte; `archives` opens an XLSX
under limits (zip bombs), `encodings` decides a CSV's encoding line by line, `formats` reads both formats.
`validation.file_prepare` refuses a bad file at upload from its first bytes, `validation.file_count` (the
job's first pass) from all of them, before anything is written; `validation.file_validate` streams clean
typed rows and row errors chunk by chunk; `kinds` holds the column table of each kind of file; `errors`
the error types (none of these touches the database). `writers` writes a chunk of clean rows; `services`
runs a job chunk by chunk; `reports` gives its error report and stored file, logging full-ID reads. The
app sits above the domain apps, whose models and services it uses; none of them imports it.
"""
