#include "parallel.hpp"

#include <pthread.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

namespace fftconv::detail {

namespace {

// One run_parallel call: its indices are claimed one at a time by whoever takes part. `left`
// counts the indices not yet finished plus the workers still inside; it is changed only under
// the pool's lock, and the caller returns when it reaches 0 (so no worker touches the batch
// after the caller's frame is gone).
struct Batch {
    void (*task)(void*, std::ptrdiff_t) = nullptr;
    void* context = nullptr;
    std::ptrdiff_t count = 0;
    int helpers = 0;  // workers wanted
    int joined = 0;   // workers that took part
    std::ptrdiff_t next = 0;
    std::ptrdiff_t left = 0;
};

// The workers wait for batches that want helpers. Workers are detached and the pool is never
// destroyed: at exit they are blocked in wait() and the process ends around them, with no
// destructor racing a call still running in another thread.
struct Pool {
    std::mutex m;
    std::condition_variable work, finished;
    std::deque<Batch*> open;  // batches still wanting helpers
    int workers = 0;

    // Claims indices of b until none are left; returns how many it ran.
    static std::ptrdiff_t take_part(Pool& pool, Batch& b) {
        std::ptrdiff_t ran = 0;
        for (;;) {
            std::ptrdiff_t i;
            {
                std::scoped_lock lock(pool.m);
                if (b.next >= b.count) return ran;
                i = b.next++;
            }
            b.task(b.context, i);
            ++ran;
        }
    }

    void worker() {
        std::unique_lock lock(m);
        for (;;) {
            work.wait(lock, [&] { return !open.empty(); });
            Batch& b = *open.front();
            if (++b.joined >= b.helpers || b.next >= b.count) open.pop_front();
            ++b.left;  // this worker is inside
            lock.unlock();
            const std::ptrdiff_t ran = take_part(*this, b);
            lock.lock();
            b.left -= ran + 1;
            if (b.left == 0) finished.notify_all();
        }
    }

    void grow(int wanted) {
        // Called with m held.
        while (workers < wanted) {
            std::thread([this] { worker(); }).detach();
            ++workers;
        }
    }
};

Pool* pool_instance = nullptr;
std::once_flag pool_once;

// A child made by fork() has none of the parent's workers, and the lock may have been held by
// one of them: it gets a pool of its own (the parent's is left as it was, unreachable).
void after_fork_in_child() {
    pool_instance = new Pool;
}

Pool& pool() {
    std::call_once(pool_once, [] {
        pool_instance = new Pool;
        pthread_atfork(nullptr, nullptr, after_fork_in_child);
    });
    return *pool_instance;
}

// More workers than this are never started, whatever set_threads asked (a bound against a
// mistaken count, not a tuning choice).
constexpr int max_workers = 1024;

}  // namespace

void run_parallel(std::ptrdiff_t count, int helpers, void (*task)(void*, std::ptrdiff_t), void* context) {
    helpers = static_cast<int>(std::min<std::ptrdiff_t>(
        {static_cast<std::ptrdiff_t>(helpers), count - 1, static_cast<std::ptrdiff_t>(max_workers)}));
    if (helpers <= 0) {
        for (std::ptrdiff_t i = 0; i < count; ++i) task(context, i);
        return;
    }
    Pool& p = pool();
    Batch b;
    b.task = task;
    b.context = context;
    b.count = count;
    b.helpers = helpers;
    b.left = count;
    {
        std::scoped_lock lock(p.m);
        p.grow(helpers);
        p.open.push_back(&b);
    }
    p.work.notify_all();
    const std::ptrdiff_t ran = Pool::take_part(p, b);
    std::unique_lock lock(p.m);
    // No worker may join once the caller has run out of indices.
    for (auto it = p.open.begin(); it != p.open.end(); ++it)
        if (*it == &b) {
            p.open.erase(it);
            break;
        }
    b.left -= ran;
    p.finished.wait(lock, [&] { return b.left == 0; });
}

int pool_workers() {
    Pool& p = pool();
    std::scoped_lock lock(p.m);
    return p.workers;
}

}  // namespace fftconv::detail
