using ActiveGate.Devices.Model;
using ActiveGate.Devices.Readings;

namespace ActiveGate.Devices.Tests;

internal sealed class RecordingSink : ISampleSink
{
    private readonly List<ChannelSample> _samples = [];

    public IReadOnlyList<ChannelSample> Samples
    {
        get
        {
            lock (_samples)
            {
                return _samples.ToArray();
            }
        }
    }

    private readonly List<Reading> _readings = [];

    /// <summary>The readings as handed over, with the device's kind and channel count.</summary>
    public IReadOnlyList<Reading> Readings
    {
        get
        {
            lock (_samples)
            {
                return _readings.ToArray();
            }
        }
    }

    public ValueTask AcceptAsync(Reading reading, CancellationToken cancellationToken)
    {
        lock (_samples)
        {
            _samples.Add(reading.Sample);
            _readings.Add(reading);
        }

        return ValueTask.CompletedTask;
    }

    public async Task WaitForAsync(Func<IReadOnlyList<ChannelSample>, bool> condition)
    {
        for (int i = 0; i < 300 && !condition(Samples); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(Samples), "samples so far: " + string.Join(", ", Samples.Select(s => s.Key)));
    }
}
