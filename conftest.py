# The suite's pytest plugin is registered through the `pytest11` entry point of the
# installed package; this root conftest only keeps TensorFlow's start-up chatter down.
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
