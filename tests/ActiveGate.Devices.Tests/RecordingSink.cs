using ActiveGate.Devices.Model;

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

    public ValueTask AcceptAsync(ChannelSample sample, CancellationToken cancellationToken)
    {
        lock (_samples)
        {
            _samples.Add(sample);
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
