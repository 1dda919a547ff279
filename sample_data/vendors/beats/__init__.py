"""Beat-to-beat recordings for the sample data: `plan` (the RR series of a night recording and
a morning test, with planted artifacts) and `study` (the vendor study's `beat_to_beat`
profile). The file writers are `sample_data.vendors.polar_hrm` and `.suunto`."""
