using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Tests.Embedding;

public class DecoderWarmUpTests
{
    [Fact]
    public void Runs_the_decoding_path_until_cancelled()
    {
        Assert.Equal(40, DecoderWarmUp.Run(thumbnailSize: 64, CancellationToken.None));

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Equal(0, DecoderWarmUp.Run(thumbnailSize: 0, cancelled.Token));
    }
}
