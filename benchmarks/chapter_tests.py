"""The three tests every chapter file runs, parametrised by the plugin over the chapter's
declarations (the file's ``dlwp_chapter`` mark says which): import them into it."""


def test_model(dlwp, dlwp_case, benchmark):
    dlwp.check_model(dlwp_case, benchmark)


def test_baselines_and_ensemble(dlwp, dlwp_experiment, benchmark):
    dlwp.check_comparisons(dlwp_experiment, benchmark)


def test_claim(dlwp, dlwp_claim):
    dlwp.check_claim(dlwp_claim)
