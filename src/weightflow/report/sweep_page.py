def build_sweep_report(*a): pass
def write_sweep_report(*a): pass
