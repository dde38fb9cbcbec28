using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ActiveGate.Lowpan.Benchmarks.IphcBenchmarks).Assembly).Run(args);
