print("vitalgate")
