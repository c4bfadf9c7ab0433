"""Provincial batch files: reading, file-level checks, row validation, error reports and the jobs that
write them through set-based writers.

`validation.file_prepare` refuses a bad file before anything is written; `validation.file_validate` streams
clean typed rows and row errors chunk by chunk; `kinds` holds the column table of each kind of file;
`errors` the error types and the CSV error report (none of these touches the database). `writers` writes
a chunk of clean rows; `services` runs a job chunk by chunk. The app sits above the domain apps, whose
models and services it uses; none of them imports it.
"""
