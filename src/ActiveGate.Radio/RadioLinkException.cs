namespace ActiveGate.Radio;

/// <summary>The radio refused or contradicted a configuration request (for example it reports another channel).</summary>
public sealed class RadioLinkException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RadioLinkException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RadioLinkException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public RadioLinkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
