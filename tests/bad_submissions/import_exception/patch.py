print("loading my data")
raise RuntimeError("boom while importing")
