using ActiveGate.HotSwap.Bench.Harness;
using ActiveGate.HotSwap.Bench.SelfTest;

// Hot swap benchmark (bench/hotswap.sh). Modes:
//   selftest      the delay proxy against its settings, and the swap analysis on synthetic records (~15 s)
//   [run] ARGS    the hot swap run; see HarnessOptions.Usage
if (args.Length > 0 && args[0] == "selftest")
{
    return await ProxySelfTests.RunAsync();
}

if (args.Any(a => a is "-h" or "--help"))
{
    Console.WriteLine(HarnessOptions.Usage);
    return 0;
}

HarnessOptions options;
try
{
    options = HarnessOptions.Parse([.. args.SkipWhile(a => a == "run")]);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(HarnessOptions.Usage);
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C: stop the run cleanly (children are terminated in the finally blocks).
    e.Cancel = true;
    cts.Cancel();
};
try
{
    return await HotSwapHarness.RunAsync(options, cts.Token);
}
catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception or OperationCanceledException)
{
    Console.Error.WriteLine($"hotswap: {ex.Message}");
    return 1;
}
