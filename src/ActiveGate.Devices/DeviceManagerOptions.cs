namespace ActiveGate.Devices;

/// <summary>Timing of discovery, observation and switching.</summary>
public sealed class DeviceManagerOptions
{
    /// <summary>How often single-quantity resources are polled when a device does not support Observe.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First retry delay after a failed discovery or observation; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Consecutive failed attempts after which a device is shown offline.</summary>
    public int FailuresBeforeOffline { get; set; } = 3;

    /// <summary>How often each channel's last sequence is written to the registry.</summary>
    public TimeSpan SequencePersistInterval { get; set; } = TimeSpan.FromMinutes(1);

    public void Validate()
    {
        if (PollInterval < TimeSpan.FromSeconds(1) || RetryDelay <= TimeSpan.Zero || MaxRetryDelay < RetryDelay || FailuresBeforeOffline < 1)
        {
            throw new ArgumentException("DeviceManagerOptions: PollInterval ≥ 1 s, RetryDelay > 0, MaxRetryDelay ≥ RetryDelay, FailuresBeforeOffline ≥ 1");
        }
    }
}
