"""What several test modules share that is not a fixture: servers, processes, synthetic data, references."""
