"""The schema's migrations by name, in order (storage/migrations.py defines them): what a
reader checks an archive against without loading the migration code.
tests/test_upgrade.py keeps the two lists equal."""

MIGRATION_SET = "ayrdw-watch"
MIGRATIONS = (
    "m001_initial",
    "m002_outbox",
    "m003_walk_items",
    "m004_restored_and_confirmed",
    "m005_watches",
    "m006_extractor_version",
    "m007_search",
    "m008_evidence",
    "m009_signatures",
    "m010_attachments",
    "m011_list_pages",
    "m012_counts",
)
