// The trainers these tests run set libtorch's process-wide thread count (torch.set_num_threads) when they start.
// Test classes running in parallel would change it under each other's feet, and a GEMM on 1 thread rounds
// differently from one on 2: the exact-resume tests then fail now and then. The whole project runs in seconds
// one class at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
