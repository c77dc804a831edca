// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IDPrompt} from "../interfaces/IDPrompt.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {Request, requirePending} from "./Requests.sol";

/// @title ProviderStaking
/// @notice DPrompt's providers: their stake (in the native coin or one ERC-20 token, chosen per
/// deployment), declared capacity, unbonding, earnings, and each model's pool of eligible providers.
///
/// The staking paths are `external`: the library is deployed once and DPrompt reaches it by
/// DELEGATECALL (the storage and the tokens stay DPrompt's; `address(this)` is DPrompt), so their
/// bytecode does not count against DPrompt's EIP-170 limit. The `internal` helpers (pool
/// membership, capacity) are the ones `request`, `fulfil` and `reclaim` use; they are inlined.
library ProviderStaking {
    using SafeERC20 for IERC20;

    /// @dev Requests a provider may hold pending until it declares otherwise (`setCapacity`).
    uint16 internal constant DEFAULT_CAPACITY = 16;

    /// @dev One slot: everything `request`, `fulfil` and `reclaim` change for a provider.
    struct Provider {
        uint96 stake; // in the stake asset
        uint96 earned; // fees of fulfilled requests, wei
        uint16 pending; // never above 65,535: assignment stops at `capacity`
        uint16 capacity; // 0 = DEFAULT_CAPACITY
        uint32 withdrawableAt; // unix seconds (fits until 2106)
    }

    /// @dev The ERC-20 stake token's books (unused for a native stake). `held`: everything DPrompt owes
    /// in the token (every model's stakes, token credits and the burned slashes); `credits`: what each
    /// account may pull with `withdrawTokens` (withdrawn stakes, bond shares of disputes). If the
    /// token's balance falls below `held` (a rebase, an admin burn), each withdrawal is paid the same
    /// fraction, balance / held: one account's loss never takes another's stake.
    struct TokenBook {
        uint256 held;
        mapping(address account => uint256) credits;
    }

    /// @dev A model's providers and its assignment pool (eligible providers, in join order).
    struct Pool {
        mapping(address provider => Provider) providers;
        address[] members;
        /// @dev Index + 1 of a provider in `members`; 0 = not in the pool (not eligible).
        mapping(address provider => uint256) slots;
    }

    // ---------------------------------------------------------------- staking paths (external)

    /// @notice Adds `amount` of the stake asset to `provider`'s stake: the native coin DPrompt
    /// already received (`token` zero; DPrompt checked `msg.value == amount`), or `amount` of
    /// `token` pulled from `provider`, refused if DPrompt receives any other amount (a fee-on-
    /// transfer or rebasing token). Staking during unbonding cancels the unbonding.
    function stake(
        Pool storage pool,
        ModelRegistry.Model storage m,
        uint32 modelId,
        address provider,
        uint256 amount,
        IERC20 token,
        TokenBook storage book
    ) external {
        if (amount == 0) revert IDPrompt.DPromptZeroAmount();
        if (address(token) != address(0)) {
            uint256 before = token.balanceOf(address(this));
            token.safeTransferFrom(provider, address(this), amount);
            uint256 received = token.balanceOf(address(this)) - before;
            if (received != amount) revert IDPrompt.DPromptStakeTransferMismatch(received, amount);
            book.held += amount;
        }
        Provider storage p = pool.providers[provider];
        uint256 newStake = p.stake + amount;
        if (newStake > type(uint96).max) revert IDPrompt.DPromptStakeTooLarge(newStake);
        p.stake = uint96(newStake);
        p.withdrawableAt = 0;
        if (pool.slots[provider] == 0 && newStake >= m.minStake) joinPool(pool, provider);
        emit IDPrompt.DPromptStaked(modelId, provider, amount, newStake);
    }

    /// @notice Leaves the pool at once (no new assignments); requests already held must still be
    /// fulfilled, and the stake stays locked until they are fulfilled or reclaimed.
    function unbond(Pool storage pool, uint32 modelId, address provider, uint256 unbondingDelay) external {
        Provider storage p = pool.providers[provider];
        if (p.stake == 0) revert IDPrompt.DPromptNotStaked(modelId, provider);
        if (p.withdrawableAt != 0) revert IDPrompt.DPromptAlreadyUnbonding(modelId, provider);
        uint256 withdrawableAt = block.timestamp + unbondingDelay;
        p.withdrawableAt = uint32(withdrawableAt); // fits: the delay is at most a year
        if (pool.slots[provider] != 0) leavePool(pool, provider);
        emit IDPrompt.DPromptUnbondingStarted(modelId, provider, withdrawableAt);
    }

    /// @notice After the unbonding delay, with no request pending: zeroes the stake and returns it
    /// for DPrompt to credit (a pull payment: native credit, or token credit for `withdrawTokens`).
    function withdrawStake(Pool storage pool, uint32 modelId, address provider) external returns (uint256 amount) {
        Provider storage p = pool.providers[provider];
        uint256 withdrawableAt = p.withdrawableAt;
        if (withdrawableAt == 0) revert IDPrompt.DPromptNotUnbonding(modelId, provider);
        if (block.timestamp < withdrawableAt) revert IDPrompt.DPromptUnbondingNotOver(withdrawableAt);
        if (p.pending != 0) revert IDPrompt.DPromptStakeLocked(modelId, provider, p.pending);
        amount = p.stake;
        p.stake = 0;
        p.withdrawableAt = 0;
        emit IDPrompt.DPromptStakeWithdrawn(modelId, provider, amount);
    }

    /// @notice `IDPrompt.withdrawTokens`: pays `account` its token credit, times balance / held when
    /// the token's balance here fell below what DPrompt owes (each account bears the same fraction).
    function withdrawTokens(TokenBook storage book, IERC20 token, address account) external {
        uint256 amount = book.credits[account]; // always 0 for a native stake: nothing is credited here
        if (amount == 0) revert IDPrompt.DPromptNothingToWithdraw(account);
        uint256 held = book.held;
        uint256 balance = token.balanceOf(address(this));
        uint256 paid = balance < held ? (amount * balance) / held : amount;
        book.credits[account] = 0;
        book.held = held - amount; // cannot underflow: every credit is part of `held`
        emit IDPrompt.DPromptTokensWithdrawn(account, amount, paid);
        if (paid != 0) token.safeTransfer(account, paid);
    }

    /// @notice Declares how many requests `provider` may hold pending (1..65,535).
    function setCapacity(Pool storage pool, uint32 modelId, address provider, uint16 capacity) external {
        if (capacity == 0) revert IDPrompt.DPromptZeroAmount();
        pool.providers[provider].capacity = capacity;
        emit IDPrompt.DPromptCapacitySet(modelId, provider, capacity);
    }

    /// @notice Zeroes `provider`'s earned fees and returns them (DPrompt credits them).
    function collectEarnings(Pool storage pool, uint32 modelId, address provider) external returns (uint256 amount) {
        Provider storage p = pool.providers[provider];
        amount = p.earned;
        if (amount == 0) revert IDPrompt.DPromptNothingToWithdraw(provider);
        p.earned = 0;
        emit IDPrompt.DPromptEarningsCollected(modelId, provider, amount);
    }

    /// @notice `IDPrompt.reclaim` (anyone may call it): after a missed deadline the requester gets its
    /// whole payment back as credit (a pull payment, whoever settles), and `slashBps` of the assigned provider's stake is taken; returns the
    /// amount taken, which DPrompt burns (see verifier-contracts/README.md: no one profits from a miss).
    /// The stored features stay, so a batch proof that already covers this request still verifies
    /// for its other members (`fulfilBatch` skips this one).
    function reclaim(
        mapping(uint256 => Request) storage requests,
        mapping(uint32 => ModelRegistry.Model) storage models,
        mapping(uint32 => Pool) storage pools,
        mapping(address => uint256) storage credits,
        uint256 requestId
    ) external returns (uint256 slashed) {
        Request storage r = requests[requestId];
        requirePending(requestId, r.status);
        uint256 deadline = r.deadline;
        if (block.timestamp <= deadline) revert IDPrompt.DPromptDeadlineNotPassed(requestId, deadline);
        uint32 modelId = r.modelId;
        ModelRegistry.Model storage m = models[modelId];
        address provider = r.provider;
        Pool storage pool = pools[modelId];
        slashed = (uint256(pool.providers[provider].stake) * m.slashBps) / ModelRegistry.BPS;
        uint256 refund = r.fee;

        address requester = r.requester;
        r.status = IDPrompt.RequestStatus.Reclaimed;
        release(pool, provider, slashed, m.minStake);
        credits[requester] += refund;
        emit IDPrompt.DPromptReclaimed(requestId, requester, provider, refund, slashed, msg.sender);
    }

    // ---------------------------------------------------------------- reads (external)

    /// @notice `IDPrompt.tokenBooks`: what DPrompt owes in the stake token, and its balance of it.
    function tokenBooks(TokenBook storage book, IERC20 token) external view returns (uint256 owed, uint256 balance) {
        owed = book.held;
        if (address(token) != address(0)) balance = token.balanceOf(address(this));
    }

    /// @notice `IDPrompt.providerState`'s return data, ABI-encoded (DPrompt returns it as it is).
    function encodedProviderState(Pool storage pool, address provider) external view returns (bytes memory) {
        Provider storage p = pool.providers[provider];
        return abi.encode(
            IDPrompt.ProviderState({
                stake: p.stake,
                earned: p.earned,
                pending: p.pending,
                capacity: capacityOf(p),
                withdrawableAt: p.withdrawableAt,
                eligible: pool.slots[provider] != 0
            })
        );
    }

    // ---------------------------------------------------------------- hot-path helpers (internal)

    /// @dev A request `provider` held ends without pay (reclaimed, or its optimistic answer
    /// overturned): its pending count drops and `taken` (at most its stake) leaves its stake; below
    /// `minStake` it leaves the pool.
    function release(Pool storage pool, address provider, uint256 taken, uint256 minStake) internal {
        Provider storage p = pool.providers[provider];
        uint256 left = p.stake - taken;
        p.stake = uint96(left);
        // Cannot underflow: `pending` counts the request that ended.
        unchecked {
            p.pending -= 1;
        }
        if (left < minStake && pool.slots[provider] != 0) leavePool(pool, provider);
    }

    /// @dev Round-robin by request id over the pool, skipping providers at capacity: the first
    /// provider from position `requestId % members.length` whose pending requests are fewer than
    /// its capacity, or zero if every one is full. Reads one provider slot per provider skipped.
    function assign(Pool storage pool, uint32 modelId, uint256 requestId) internal view returns (address) {
        address[] storage members = pool.members;
        uint256 n = members.length;
        if (n == 0) revert IDPrompt.DPromptNoProvider(modelId);
        uint256 start = requestId % n;
        for (uint256 k; k < n; ++k) {
            address candidate = members[(start + k) % n];
            Provider storage p = pool.providers[candidate];
            if (p.pending < capacityOf(p)) return candidate;
        }
        revert IDPrompt.DPromptNoCapacity(modelId);
    }

    function capacityOf(Provider storage p) internal view returns (uint16) {
        uint16 capacity = p.capacity;
        return capacity == 0 ? DEFAULT_CAPACITY : capacity;
    }

    function joinPool(Pool storage pool, address provider) internal {
        pool.members.push(provider);
        pool.slots[provider] = pool.members.length;
    }

    /// @dev Swap-and-pop; the moved provider's slot is updated.
    function leavePool(Pool storage pool, address provider) internal {
        address[] storage members = pool.members;
        uint256 index = pool.slots[provider] - 1;
        uint256 last = members.length - 1;
        if (index != last) {
            address moved = members[last];
            members[index] = moved;
            pool.slots[moved] = index + 1;
        }
        members.pop();
        pool.slots[provider] = 0;
    }
}
