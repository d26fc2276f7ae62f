namespace GridTsne.Engine.Tests;

/// <summary>
/// Checks that work finishes at all, never how fast: it runs on another thread, and the test fails only if
/// it is still running after a generous timeout (a hang). Speed is measured in bench/, not asserted here.
/// </summary>
internal static class Completion
{
    public static T Within<T>(TimeSpan timeout, string what, Func<T> work)
    {
        Task<T> task = Task.Run(work);
        Assert.True(((IAsyncResult)task).AsyncWaitHandle.WaitOne(timeout), $"{what} did not finish within {timeout}.");
        return task.GetAwaiter().GetResult();
    }

    public static void Within(TimeSpan timeout, string what, Action work) =>
        Within(timeout, what, () =>
        {
            work();
            return true;
        });
}
