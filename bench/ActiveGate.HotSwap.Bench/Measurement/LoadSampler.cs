using System.Globalization;

namespace ActiveGate.HotSwap.Bench.Measurement;

/// <summary>
/// The machine's 1-minute load average (/proc/loadavg) sampled during the run: the timings only mean something next
/// to how busy the machine was (a 2-core box shared with test runs is not quiet).
/// </summary>
public sealed class LoadSampler : IAsyncDisposable
{
    private readonly List<double> _samples = [];
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;

    public LoadSampler(TimeSpan every)
    {
        Sample();
        _loop = LoopAsync(every);
    }

    /// <summary>/proc/loadavg as it reads now ("1 min, 5 min, 15 min"), or "?" where there is none.</summary>
    public static string Now()
    {
        try
        {
            string[] f = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{f[0]}, {f[1]}, {f[2]}";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    public string Summary()
    {
        lock (_samples)
        {
            return _samples.Count == 0 ? "no samples" : FormattableString.Invariant(
                $"1-min load average during the run: mean {_samples.Average():0.0}, max {_samples.Max():0.0} over {_samples.Count} samples (2 cores here: above ~2 the machine was not quiet); at the end {Now()}");
        }
    }

    private void Sample()
    {
        string now = Now();
        if (double.TryParse(now.Split(',')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            lock (_samples)
            {
                _samples.Add(v);
            }
        }
    }

    private async Task LoopAsync(TimeSpan every)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, _cts.Token);
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        await _loop;
        _cts.Dispose();
    }
}
