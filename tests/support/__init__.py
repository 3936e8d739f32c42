"""What several test modules share that is not a fixture: processes, synthetic data, reference rows."""
