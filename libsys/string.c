/* memcpy and memset a word at a time: picolibc's are a byte at a time,
 * and every message to a server is copied a few times. These come first
 * in the link, so picolibc uses them too. The kernel is built with this
 * file as well (lease copies, zeroing retyped objects, struct copies). */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
		while (n && ((uintptr_t)d & 7)) {
			*d++ = *s++;
			n--;
		}
		uint64_t *dw = (uint64_t *)d;
		const uint64_t *sw = (const uint64_t *)s;
		for (; n >= 32; n -= 32, dw += 4, sw += 4) {
			uint64_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
			dw[0] = a, dw[1] = b, dw[2] = c, dw[3] = e;
		}
		for (; n >= 8; n -= 8)
			*dw++ = *sw++;
		d = (uint8_t *)dw;
		s = (const uint8_t *)sw;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	while (n && ((uintptr_t)d & 7)) {
		*d++ = (uint8_t)c;
		n--;
	}
	uint64_t v = 0x0101010101010101ULL * (uint8_t)c, *w = (uint64_t *)d;
	for (; n >= 32; n -= 32, w += 4)
		w[0] = w[1] = w[2] = w[3] = v;
	for (; n >= 8; n -= 8)
		*w++ = v;
	d = (uint8_t *)w;
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}
