namespace ActiveGate.Devices;

/// <summary>A device sent a payload that does not follow docs/devices.md.</summary>
public sealed class DevicePayloadException : Exception
{
    public DevicePayloadException()
    {
    }

    public DevicePayloadException(string message)
        : base(message)
    {
    }

    public DevicePayloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
