SET synchronize_seqscans TO off
