"""Records into tables, matched-KL headlines, frontiers, plots and the HTML page. Reads records; runs nothing."""
