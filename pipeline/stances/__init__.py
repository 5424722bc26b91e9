"""Who stands where: codebooks, target matching and the stance coder."""
