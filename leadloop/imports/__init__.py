"""Lead import: reading CSV and spreadsheet files, mapping their columns, converting rows.

The modules here are pure (no database): they turn a file into typed lead
fields and say what is wrong with it before anything is written. The
database side (staging, matching, creating leads) builds on them, in this
order:

    found = sampling.sample(path, sheet=sheet)              # ReadError: unusable file
    mapping = guess.mapping_for("auto", found.header, found)  # or mapping.load_mapping(json)
    stages = sampling.distinct_values(path, stage_columns, sheet=sheet)
    plan = plan.resolve(mapping, found.header, stage_values=..., sample=found)  # PlanError
    converter = converter.Converter(plan, zone=team_zone, date_order=cli_order)
    with reading.open_table(path, sheet=sheet) as table:
        for line, cells in table.rows:
            row = converter.convert(cells)  # row.fields, row.attributes, row.errors, row.skip

and stores `mapping.dump_mapping(plan.mapping)` with the import.
"""
