import pytest
import torch


@pytest.fixture(scope="module")
def one_torch_thread():
    """Small torch work gains nothing from threads, and on a busy machine OpenMP's waiting threads slow it a lot."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
