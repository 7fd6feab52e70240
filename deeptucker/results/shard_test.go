package results

func shardWorker(path string) error { return nil }
