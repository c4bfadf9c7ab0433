"""Batch import files: reading, file-level checks, row validation and error reports.

`validation.file_prepare` refuses a bad file before anything is written; `validation.file_validate` streams
clean typed rows and row errors chunk by chunk; `kinds` holds the column table of each kind of file;
`errors` the error types and the CSV error report. Nothing here touches the database.
"""
