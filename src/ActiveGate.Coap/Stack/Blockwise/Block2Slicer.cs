using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Stack.Blockwise;

/// <summary>
/// Server-side Block2 (RFC 7959 §2.4): cuts a whole response body into the block the client
/// asked for, at the smaller of the client's and the server's SZX, adds Size2 on the first block
/// and an ETag (a hash of the body when the handler set none) so clients detect changes between blocks.
/// </summary>
internal static class Block2Slicer
{
    /// <summary>Whether <see cref="TryApply"/> would change <paramref name="response"/> (a Block2 request, or a body longer than one block).</summary>
    public static bool IsNeeded(CoapMessage response, BlockOption? requested, int serverSizeExponent) =>
        requested is not null || response.Payload.Length > 1 << (serverSizeExponent + 4);

    /// <summary>Replaces the body of <paramref name="response"/> by one block when needed; false when the block number is past the end.</summary>
    public static bool TryApply(CoapMessage response, BlockOption? requested, int serverSizeExponent)
    {
        int sizeExponent = Math.Min(requested?.SizeExponent ?? serverSizeExponent, serverSizeExponent);
        int size = 1 << (sizeExponent + 4);
        ReadOnlyMemory<byte> body = response.Payload;
        if (requested is null && body.Length <= size)
        {
            return true;
        }

        long offset = requested?.Offset ?? 0;
        if (offset > 0 && offset >= body.Length)
        {
            return false;
        }

        // A larger block asked for earlier keeps its byte offset at our smaller size (§2.4).
        uint number = (uint)(offset / size);
        offset = (long)number * size;
        int length = (int)Math.Min(size, body.Length - offset);
        bool more = offset + length < body.Length;
        if (response.ETag is null && body.Length > size)
        {
            response.ETag = ComputeETag(body.Span);
        }

        if (number == 0)
        {
            response.Size2 = (uint)body.Length;
        }

        response.Block2 = new BlockOption(number, more, sizeExponent);
        response.Payload = body.Slice((int)offset, length);
        return true;
    }

    /// <summary>An 8-byte FNV-1a hash of the representation, used as ETag.</summary>
    public static byte[] ComputeETag(ReadOnlySpan<byte> body)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in body)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        byte[] etag = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(etag, hash);
        return etag;
    }
}
