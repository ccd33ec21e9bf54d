"""Sets up OpenSearch for the order documents: index template, ISM policy, first index and aliases,
security roles and mappings, Dashboards saved objects (the artefacts in index_templates/)."""
